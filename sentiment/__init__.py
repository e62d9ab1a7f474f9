"""IMDB sentiment with a bidirectional LSTM, and explanations read from its hidden states."""

from .classifier import Explanation, SentimentClassifier, Unit, load_model
from .model import BiLSTMClassifier, ModelConfig

__all__ = ["load_model", "SentimentClassifier", "Explanation", "Unit", "BiLSTMClassifier", "ModelConfig"]
