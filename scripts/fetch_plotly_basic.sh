#!/usr/bin/env bash
# Fetch plotly.js's basic bundle from the npm registry into the dashboard's static files.
# The version follows the plotly.js inside the installed plotly Python package.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
version=$("$python" - <<'PY'
import importlib.util, pathlib, re
spec = importlib.util.find_spec("plotly")
path = pathlib.Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
print(re.search(r"plotly\.js v(\d+\.\d+\.\d+)", path.read_text()[:500]).group(1))
PY
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "plotly.js-basic-dist-min@$version" >/dev/null && tar xzf ./*.tgz)
dest=src/hyperpilot/dashboard/static/vendor
cp "$work/package/plotly-basic.min.js" "$dest/plotly-basic.min.js"
cp "$work/package/LICENSE" "$dest/LICENSE.plotly.txt"
echo "plotly.js basic $version -> $dest"
