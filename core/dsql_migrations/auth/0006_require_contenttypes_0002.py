from core.dsql_migrations import original

Migration = original("auth", "0006_require_contenttypes_0002")
