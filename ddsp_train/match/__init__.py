"""Synthesizer programming from a target sound (``ddsp-match``, docs/match.md).

- :mod:`.patch`: the patch, its named, bounded parameters and the ``.patch.json`` file (no TensorFlow);
- :mod:`.controls`: patch -> the plugin's controls, the one TensorFlow formula of the renderer and the .tflite;
- :mod:`.render`: the patch played through ``ddsp_train.dsp`` (harmonic synth + the plugin's filtered noise);
- :mod:`.target`: reading and checking the target, its f0 and power;
- :mod:`.estimator`, :mod:`.examples`: the shipped estimator and its random training patches;
- :mod:`.refine`: gradient descent through the synth; :mod:`.plugin`: the DDSP-VST model of a patch;
- :mod:`.writer`, :mod:`.run`, :mod:`.cli`: the files, the command as a function, the click shell.
"""
