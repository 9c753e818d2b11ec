"""A Django database backend for a process that has no usable instance.

After ``ln.setup.init`` or ``ln.setup.connect`` failed, the process must not
go on writing into the instance it used before, nor create one unasked: its
default connection is switched to this backend, whose every use raises
``SetupError`` with the reason, until an ``init`` or ``connect`` succeeds.
Set up by :func:`lamindb_core.instance.deactivate`.
"""
