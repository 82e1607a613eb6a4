"""The demo data set `make run` loads: locations, stock and orders in every state, made only through the
services the API and the console call (never by saving models), deterministic and safe to run again."""
