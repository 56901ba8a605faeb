"""AI assistance kept on the machine: embedding backends, a team-server client, and the
numerical parts of suggestion, clustering and drafting. Nothing here touches the database;
the services in ``thematica.services`` (suggestions, clusters, drafts) do. Heavy libraries
(torch, sentence-transformers, model2vec) are imported only inside the backends that need them.
"""
