"""The full-screen client (Textual): it renders `ChatModel` and forwards typing."""
