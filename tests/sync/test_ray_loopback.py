"""A Ray that sf_curric starts listens on loopback only, with token authentication (issue 28: with Ray 2.60 the GCS,
raylet, workers, agents and three unauthenticated Prometheus endpoints listened on every interface).

The sockets of the processes are listed; any listener beyond loopback (TCP listening, or UDP bound without a peer)
fails the test, naming the process: here (`slow`: a Ray start of its own) a local Ray sweep
(`sf_curric.launch --backend=ray`, no address) while its runs train; in test_ray.py the test cluster (started by
`init_local_ray`, as `init_ray_locally` and the launcher start theirs)."""

import ipaddress
from pathlib import Path

import pytest

from tests.sweeps.helpers import start_launcher, wait_for, write_sweep

pytestmark = pytest.mark.ray

FAKE = Path(__file__).resolve().parents[1] / "sweeps" / "fake_trainer.py"


def _is_loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%")[0])
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def process_tree(pid):
    import psutil

    root = psutil.Process(pid)
    return {root.pid: root, **{p.pid: p for p in root.children(recursive=True)}}


def listeners_beyond_loopback(pids):
    """(address, pid, command) of every socket of `pids` that accepts connections from beyond this machine."""
    import psutil

    found = []
    for conn in psutil.net_connections(kind="inet"):
        if conn.pid not in pids or not conn.laddr:
            continue
        listening = conn.status == psutil.CONN_LISTEN or (conn.type == 2 and not conn.raddr)  # 2: SOCK_DGRAM
        if listening and not _is_loopback(conn.laddr.ip):
            found.append((f"{conn.laddr.ip}:{conn.laddr.port}", conn.pid, " ".join(pids[conn.pid].cmdline())[:90]))
    return found


@pytest.mark.slow
def test_a_local_ray_sweep_listens_on_loopback_only_with_token_auth(tmp_path):
    pytest.importorskip("ray")
    pytest.importorskip("psutil")
    sweep = write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            "ray_sockets",
            [Experiment("f", "python {FAKE} --steps=400", env_vars={{"FAKE_STEP_SEC": "0.05"}})],
            seeds=[0, 1],
        )
        """,
    )
    launcher = start_launcher(sweep, tmp_path, "--backend=ray", "--cpus_per_run=1")
    runs = [tmp_path / "ray_sockets" / "f" / f"f_seed_{s}" for s in (0, 1)]
    try:
        wait_for(lambda: any((r / "progress.txt").exists() for r in runs), 240, "a run to train under Ray")
        processes = process_tree(launcher.pid)
        names = " ".join(" ".join(p.cmdline()) for p in processes.values())
        assert "gcs_server" in names and "raylet" in names  # Ray's own servers are in the tree that was checked
        assert listeners_beyond_loopback(processes) == []
        raylet = next(p for p in processes.values() if "raylet" in " ".join(p.cmdline()[:1]))
        assert raylet.environ().get("RAY_AUTH_MODE") == "token"
        assert launcher.wait(timeout=300) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    assert "2 finished now" in (tmp_path / "launcher.log").read_text()
