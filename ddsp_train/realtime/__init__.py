"""Play models without a DAW (``ddsp-transfer``).

- :mod:`.player` the frame loop: audio -> the plugin's causal features -> model -> synth -> audio;
- :mod:`.synth` the plugin-like harmonic + filtered-noise synth in numpy, frame by frame;
- :mod:`.midi` MIDI notes, bends and an ADSR envelope -> f0 and power (the plugin's synth mode).
"""
