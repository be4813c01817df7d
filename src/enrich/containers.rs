//! Which container a process runs in, from its cgroup (being written).
