"""One structured-config schema module per Hydra config group.

Each module exposes ``GROUP`` (the group name) and ``SCHEMAS`` (schema name ->
dataclass). Options in ``conf/<group>/`` extend a schema through their defaults
list (``defaults: [<schema name>, _self_]``), so an unknown key, a wrong type or a
value outside an Enum fails when Hydra composes the config.
"""
