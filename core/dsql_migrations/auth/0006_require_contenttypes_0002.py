from core.dsql_migrations import state_only

Migration = state_only("auth", "0006_require_contenttypes_0002")
