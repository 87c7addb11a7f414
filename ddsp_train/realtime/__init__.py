"""Play models without a DAW (``ddsp-transfer``).

- :mod:`.performance` the features fed to a control model and auto-adjust;
- :mod:`.players` the plugin ``.tflite`` (frame by frame) and the SavedModel players;
- :mod:`.synth` the plugin-like harmonic + filtered-noise synth in numpy, frame by frame;
- :mod:`.reverb` the reverb of the plugin model: learned impulse response or a room;
- :mod:`.midi` MIDI notes, bends and an ADSR envelope -> f0 and power (the plugin's synth mode);
- :mod:`.transfer` the command's work: checks, audio or MIDI through a player, the output file.
"""
