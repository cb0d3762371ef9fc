#!/usr/bin/env bash
# Deploy the course on Kubernetes with Zero to JupyterHub. Run from the repository root,
# with kubectl and helm pointed at your cluster (and docker logged in to your registry):
#
#   hub/k8s/deploy.sh image IMAGE:TAG     # build the student image from binder/ and push it
#   hub/k8s/deploy.sh hub IMAGE:TAG       # shared volumes + the chart, with config.yaml
#   hub/k8s/deploy.sh course INSTRUCTOR   # the course into the instructor's folder
#
# NAMESPACE (default aekit) and RELEASE (default aekit) choose where it goes.
set -euo pipefail
CHART_VERSION=4.4.0   # the chart whose values schema is hub/k8s/values.schema.json
NAMESPACE=${NAMESPACE:-aekit}
RELEASE=${RELEASE:-aekit}
cd "$(dirname "$0")/../.."

usage() { sed -n 2,10p "$0" >&2; exit 2; }
split_image() {  # IMAGE:TAG -> name and tag
  [[ "${1:-}" == *:* ]] || { echo "error: give the image as NAME:TAG" >&2; exit 2; }
  IMAGE_NAME=${1%:*}; IMAGE_TAG=${1##*:}
}

case "${1:-}" in
  image)
    split_image "${2:-}"
    # repo2docker puts the repository into the image: build from a copy without the
    # assignments' sources, which hold the solutions and hidden tests.
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    git archive HEAD | tar -x -C "$build"
    rm -rf "$build/lessons/assignments/source" "$build/tests"
    jupyter-repo2docker --no-run --user-id 1000 --user-name jovyan \
      --image-name "$IMAGE_NAME:$IMAGE_TAG" "$build"
    docker push "$IMAGE_NAME:$IMAGE_TAG"
    ;;
  hub)
    split_image "${2:-}"
    kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
    kubectl apply -n "$NAMESPACE" -f hub/k8s/volumes.yaml
    helm repo add jupyterhub https://hub.jupyter.org/helm-chart/ >/dev/null
    helm repo update jupyterhub >/dev/null
    helm upgrade --install "$RELEASE" jupyterhub/jupyterhub --version "$CHART_VERSION" \
      --namespace "$NAMESPACE" --values hub/k8s/config.yaml \
      --set singleuser.image.name="$IMAGE_NAME" --set-string singleuser.image.tag="$IMAGE_TAG" \
      --set-file singleuser.extraFiles.nbgrader-common.stringData=hub/k8s/nbgrader_config.py \
      --set-file singleuser.extraFiles.student-server.stringData=hub/etc/student/jupyter_server_config.py \
      --set-file singleuser.extraFiles.student-lab.stringData=hub/etc/student/labconfig/page_config.json \
      --set-file singleuser.extraFiles.instructor-server.stringData=hub/etc/instructor/jupyter_server_config.py \
      --set-file singleuser.extraFiles.instructor-nbgrader.stringData=hub/etc/instructor/nbgrader_config.py \
      --wait --timeout 15m
    kubectl get service proxy-public -n "$NAMESPACE"
    ;;
  course)
    instructor=${2:-}; [ -n "$instructor" ] || usage
    pod="jupyter-$instructor"   # the chart's name for a user's pod
    course=/home/jovyan/aekit
    kubectl exec -n "$NAMESPACE" "$pod" -- mkdir -p "$course"
    kubectl cp -n "$NAMESPACE" lessons/assignments/source "$pod:$course/source"
    { cat lessons/assignments/nbgrader_config.py
      printf '\n# Graders working in parallel share the SQLite gradebook: wait for a lock.\n'
      printf 'c.CourseDirectory.db_url = "sqlite:///%s/gradebook.db?timeout=120"\n' "$course"
      printf '# aekit.grading adds its note to autograded notebooks: keep them writable.\n'
      printf 'c.Autograde.permissions = 644\n'
    } | kubectl exec -i -n "$NAMESPACE" "$pod" -- sh -c "cat > $course/nbgrader_config.py"
    kubectl exec -n "$NAMESPACE" "$pod" -- chmod 700 "$course"
    echo "course copied to $pod:$course; release from the instructor's terminal:"
    echo "  cd ~/aekit && python -m aekit.grading release kl_sparsity && nbgrader release_assignment kl_sparsity"
    ;;
  *) usage ;;
esac
