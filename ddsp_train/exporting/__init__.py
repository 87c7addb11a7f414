"""Export a trained model: the DDSP-VST plugin's ``.tflite`` and an offline SavedModel, proven.

- :mod:`.plan` every argument and path checked before TensorFlow is imported;
- :mod:`.plugin_model` the plugin's view of an Autoencoder (its controls one frame at a time, and
  what keeps a model out of the plugin);
- :mod:`.plugin_tflite` the one-frame control model in the plugin's exact form (names, builtin ops);
- :mod:`.calibration` the dry output's level against the full model, and ``NAME.reverb.wav``;
- :mod:`.metadata` the ``metadata.json`` zip appended to it;
- :mod:`.plugin_check` the plugin contract checked on any file (``ddsp-export --check``);
- :mod:`.saved_model` the whole model (features in, audio out, reverb included), any config;
- :mod:`.feature_model` ``features.tflite``, the pitch/power extractor;
- :mod:`.selfcheck` reload, check, stream vs the Keras model, time;
- :mod:`.manifest` ``export.json``: what an export wrote (nothing else is ever removed);
- :mod:`.exporter` ``ddsp-export``'s library function.
"""
