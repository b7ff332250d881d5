-- Vector index for file search (src/search/sql/vector-*.ts). With sqlite-vec loaded, embeddings
-- live in one vec0 virtual table per dimension, `search_vec_<dim>`; the dimension is the
-- embedder's, known only at run time, so those tables are created by the index when a dimension
-- first appears, and registered here (the writes that delete chunks read this list).
-- Rows already in `search_vectors` (databases from before, or written while sqlite-vec could not
-- be loaded) are moved into the vec0 tables when the index opens with the extension
-- (vector-setup.ts); without it they stay there and are scored in the application.
CREATE TABLE search_vector_dims (
  dim INTEGER PRIMARY KEY
);
