"""Export a trained model: the DDSP-VST plugin's ``.tflite`` and an offline SavedModel, proven.

- :mod:`.plugin_tflite` the one-frame control model in the plugin's exact form (names, builtin ops);
- :mod:`.metadata` the ``metadata.json`` zip appended to it;
- :mod:`.saved_model` the whole model (features in, audio out, reverb included), any config;
- :mod:`.selfcheck` reload, check, stream vs the Keras model, time;
- :mod:`.exporter` ``ddsp-export``'s library function; :mod:`.atomic` atomic writes.
"""
