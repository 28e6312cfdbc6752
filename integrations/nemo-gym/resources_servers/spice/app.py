"""NeMo-Gym entry point of the SPICE resources server.

NeMo-Gym's launcher runs ``python app.py`` in this folder with NEMO_GYM_CONFIG_DICT (the global config, YAML)
and NEMO_GYM_CONFIG_PATH (this server's name) set. This file only finds the SPICE toolkit and replaces itself
with ``spice gym serve --nemo-gym``, which reads those two variables: the host and port Gym assigned, the
``data_dir`` and ``spice`` settings of this server's entry, and the trainer's policy model (the ``policy_model``
server ref) that the K reasoner samples of a challenger row go to. See docs/gym.md in the toolkit.

Where the toolkit is, in order: SPICE_BIN (a command, e.g. "spice"), SPICE_HOME (a checkout), the checkout this
file lives in (it may be symlinked into NeMo-Gym's resources_servers/), or ``spice`` on PATH. Standard library only.
"""

import os
import shlex
import shutil
import sys
from pathlib import Path


def spice_command() -> list[str]:
    explicit = os.environ.get("SPICE_BIN")
    if explicit:
        return shlex.split(explicit)
    roots = []
    if os.environ.get("SPICE_HOME"):
        roots.append(Path(os.environ["SPICE_HOME"]))
    # integrations/nemo-gym/resources_servers/spice/app.py -> the checkout's root.
    roots.append(Path(__file__).resolve().parents[4])
    for root in roots:
        main = root / "src" / "cli" / "main.ts"
        if main.is_file():
            bun = shutil.which("bun")
            if bun is None:
                sys.exit("spice app.py: bun is not on PATH (npm i -g bun@1.4.5)")
            return [bun, str(main)]
    installed = shutil.which("spice")
    if installed:
        return [installed]
    sys.exit("spice app.py: cannot find the SPICE toolkit: set SPICE_HOME to its checkout or SPICE_BIN to its command")


def main() -> None:
    for name in ("NEMO_GYM_CONFIG_DICT", "NEMO_GYM_CONFIG_PATH"):
        if not os.environ.get(name):
            sys.exit(f"spice app.py: {name} is not set; NeMo-Gym's launcher sets it (ng_run / gym env start)")
    command = spice_command() + ["gym", "serve", "--nemo-gym", *sys.argv[1:]]
    sys.stdout.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
