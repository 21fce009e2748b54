"""Chat models behind langchain-core's interface: llama.cpp (`llama_cpp`) and Hugging Face
transformers (`hf_transformers`) for real models, and a keyword test double (`keyword_double`).
`language.chat_models.load_chat_model` picks one by name."""
