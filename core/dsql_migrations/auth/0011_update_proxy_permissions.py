from core.dsql_migrations import original

Migration = original("auth", "0011_update_proxy_permissions")
