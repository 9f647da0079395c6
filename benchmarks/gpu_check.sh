#!/usr/bin/env bash
# One-shot check of sf_curric's CUDA paths on a machine with a CUDA GPU (under 8 minutes), run from anywhere:
#
#     bash benchmarks/gpu_check.sh            # the CUDA tests + benchmarks/inference_modes.py on the GPU
#     bash benchmarks/gpu_check.sh --cpu      # the same plumbing on the CPU (CUDA tests skip): checks the script
#
# Python: $PYTHON (default python3). When it lacks a package sf_curric needs, a virtual environment
# benchmarks/.venv-gpu is made with --system-site-packages (an installed torch is reused, never downloaded twice)
# and only the missing packages are installed into it. sf_curric itself is used from this checkout (PYTHONPATH).
# Output: one markdown table at the end (every test, every inference-mode row, the device); the raw logs stay in
# $GPU_CHECK_DIR (default: a new temporary folder). Exit status: 0 when every test passed (or skipped in --cpu).
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE=gpu
[ "${1:-}" = "--cpu" ] && MODE=cpu
PYTHON="${PYTHON:-python3}"
OUT="${GPU_CHECK_DIR:-$(mktemp -d -t sfc_gpu_check_XXXX)}"
mkdir -p "$OUT"
START=$(date +%s)

# module to import -> pip requirement (sf_curric's install_requires and pytest; nothing else)
MODULES=(torch gymnasium numpy faster_fifo tensorboardX cv2 psutil pytest)
REQUIREMENTS=("torch>=2.0" "gymnasium>=1.0" "numpy>=1.24" "faster-fifo>=1.4.5" "tensorboardX>=2.6" "opencv-python-headless>=4.11" "psutil>=5" "pytest>=7")

missing_requirements() {  # prints the requirements whose module $1 (a python) cannot import
    local py="$1" i
    for i in "${!MODULES[@]}"; do
        "$py" -c "import ${MODULES[$i]}" >/dev/null 2>&1 || echo "${REQUIREMENTS[$i]}"
    done
}

MISSING=$(missing_requirements "$PYTHON")
if [ -n "$MISSING" ]; then
    VENV="$ROOT/benchmarks/.venv-gpu"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "gpu_check: making $VENV (system site packages visible)" >&2
        "$PYTHON" -m venv --system-site-packages "$VENV" || exit 2
    fi
    PYTHON="$VENV/bin/python"
    MISSING=$(missing_requirements "$PYTHON")
    if [ -n "$MISSING" ]; then
        echo "gpu_check: installing only what is missing:" $MISSING >&2
        # shellcheck disable=SC2086  # one argument per requirement
        "$PYTHON" -m pip install -q --disable-pip-version-check $MISSING || exit 2
    fi
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
cd "$ROOT" || exit 2

"$PYTHON" - >"$OUT/device.txt" 2>&1 <<'EOF'
import torch
name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
print(f"torch {torch.__version__}, CUDA build {torch.version.cuda}, available {torch.cuda.is_available()}, GPU {name}")
EOF
if [ "$MODE" = gpu ] && ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: torch sees no CUDA device ($(cat "$OUT/device.txt")); run with --cpu to check the script only" >&2
    exit 2
fi

# 1. The CUDA tests (tests/cuda; skipped without CUDA), at most 3 minutes.
timeout 180 "$PYTHON" -m pytest tests/cuda -m cuda -q -p no:cacheprovider -rA --junitxml="$OUT/pytest.xml" \
    >"$OUT/pytest.txt" 2>&1
PYTEST_RC=$?

# 2. Local vs central inference on the chosen device, at most 4.5 minutes.
BENCH_ARGS=(--device gpu --seconds 4 --rounds 2 --learning_seeds 1)
[ "$MODE" = cpu ] && BENCH_ARGS=(--device cpu --seconds 2 --rounds 1 --learning_seeds 0)  # plumbing only
timeout 270 "$PYTHON" benchmarks/inference_modes.py "${BENCH_ARGS[@]}" >"$OUT/inference_modes.txt" 2>&1
BENCH_RC=$?

# 3. One table.
"$PYTHON" - "$OUT" "$MODE" "$PYTEST_RC" "$BENCH_RC" "$(($(date +%s) - START))" <<'EOF'
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

out, mode, pytest_rc, bench_rc, seconds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rows = [("device", (out / "device.txt").read_text().strip(), "")]
try:
    for case in ET.parse(out / "pytest.xml").getroot().iter("testcase"):
        status = "passed"
        for kind in ("failure", "error", "skipped"):
            node = case.find(kind)
            if node is not None:
                status = f"{kind}: {(node.get('message') or '').splitlines()[0][:90]}" if node.get("message") else kind
        rows.append((f"test {case.get('name')}", status, f"{float(case.get('time', 0)):.1f} s"))
except (OSError, ET.ParseError):
    rows.append(("tests", f"no report (pytest exit {pytest_rc}{', timed out' if pytest_rc == 124 else ''})", ""))
bench = (out / "inference_modes.txt").read_text().splitlines() if (out / "inference_modes.txt").exists() else []
header = []
for i, line in enumerate(bench):
    if not line.startswith("| ") or line.startswith("|---"):
        continue
    cells = [c.strip() for c in line.strip("|").split("|")]
    if i + 1 < len(bench) and bench[i + 1].startswith("|---"):
        header = cells  # the header of the table whose rows follow
        continue
    result = "; ".join(f"{h} {c}" for h, c in zip(header[1:], cells[1:]))
    rows.append((f"inference_modes: {header[0] if header else ''} {cells[0]}", result, ""))
if bench_rc != 0:
    rows.append(("inference_modes", f"exit {bench_rc}{' (timed out)' if bench_rc == 124 else ''}", ""))
print()
print(f"sf_curric GPU check ({mode} mode), {seconds} s in all; logs in {out}")
print()
print("| check | result | time |")
print("|---|---|---|")
for name, result, t in rows:
    print(f"| {name} | {result.replace('|', '/')} | {t} |")
EOF

if [ "$PYTEST_RC" -ne 0 ] || [ "$BENCH_RC" -ne 0 ]; then
    echo "gpu_check: FAILED (pytest exit $PYTEST_RC, inference_modes exit $BENCH_RC): see $OUT" >&2
    exit 1
fi
echo "gpu_check: OK"
