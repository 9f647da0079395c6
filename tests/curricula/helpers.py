"""Small fakes shared by the curriculum tests."""


class FakeWriter:
    """Collects add_scalar calls like a tensorboard SummaryWriter."""

    def __init__(self):
        self.scalars = {}

    def add_scalar(self, name, value, step=None):
        self.scalars[name] = (value, step)
