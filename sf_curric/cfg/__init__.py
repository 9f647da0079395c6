"""Configuration: flags (`arguments`), per-env defaults, config.json save/load/resume (`experiment`), validation."""
