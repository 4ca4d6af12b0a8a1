"""Views: thin blueprints that parse the request, call one service or query, render."""
