complete --keep-order --exclusive --command tokex --arguments "(TOKEX_COMPLETE=fish tokex -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
