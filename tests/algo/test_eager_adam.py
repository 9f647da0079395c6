"""EagerAdam: the same updates and state as torch's Adam, without importing torch._dynamo (start-up time)."""

import subprocess
import sys

import torch

from sf_curric.algo.eager_adam import EagerAdam


def _train(opt_cls, steps=5):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    opt = opt_cls(model.parameters(), lr=1e-2, eps=1e-5, fused=True)
    for i in range(steps):
        opt.zero_grad(set_to_none=True)
        model(torch.full((3, 4), float(i))).square().sum().backward()
        opt.step()
    return model, opt


def test_same_updates_and_state_as_torch_adam():
    ours, our_opt = _train(EagerAdam)
    theirs, their_opt = _train(torch.optim.Adam)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)
    their_opt.load_state_dict(our_opt.state_dict())  # checkpoints load in either class
    our_opt.load_state_dict(their_opt.state_dict())
    assert isinstance(our_opt, torch.optim.Adam)


def test_training_does_not_import_dynamo():
    code = (
        "import sys, torch\n"
        "from tests.algo.test_eager_adam import _train\n"
        "from sf_curric.algo.eager_adam import EagerAdam\n"
        "_, opt = _train(EagerAdam)\n"
        "opt.load_state_dict(opt.state_dict())\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
