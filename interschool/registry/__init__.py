"""The school registry: identifiers, context, outcome series, imports, classification, profiles."""
