"""The shipped `accelerate launch` configs (`searchtune train --accelerate-config NAME`). Installed as the package
`finetune.accelerate_configs` (see setup.py), so a wheel install finds them through `finetune.core.paths`."""
