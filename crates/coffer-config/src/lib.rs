//! config.yaml.
