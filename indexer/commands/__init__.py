"""Command families of the `dangan` CLI; each module exposes `register(cli)`."""
