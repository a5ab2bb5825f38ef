"""The benchmark app: the contract's models, forms, views and templates."""
