"""IMDB sentiment with a bidirectional LSTM, and explanations read from its hidden states."""

from .classifier import SentimentClassifier, load_model
from .explain import Explanation, Unit
from .errors import DataError, ModelLoadError, ReviewError, SettingsError, UploadError, UserError
from .model import BiLSTMClassifier, ModelConfig

__all__ = ["load_model", "SentimentClassifier", "Explanation", "Unit", "BiLSTMClassifier", "ModelConfig",
           "UserError", "DataError", "ModelLoadError", "ReviewError", "UploadError", "SettingsError"]
