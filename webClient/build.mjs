// Placeholder: the browser client build is filled in by the clients work.
