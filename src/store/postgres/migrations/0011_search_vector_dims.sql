-- Vector index for file search (src/search/sql/vector-*.ts). With pgvector, embeddings live in one
-- table per dimension, `search_vec_<dim>` with a `vector(<dim>)` column; the dimension is the
-- embedder's, known only at run time, and the extension may be missing when this runs, so those
-- tables are created by the index when a dimension first appears, and registered here (the
-- writes that delete chunks read this list).
-- Rows already in `search_vectors` (databases from before, or written while pgvector was not
-- installed) are moved into the pgvector tables when the index opens with the extension
-- (vector-setup.ts); without it they stay there and are scored in the application.
CREATE TABLE search_vector_dims (
  dim INTEGER PRIMARY KEY
);
