import sys

from trainer import stop_request
from trainer.cli import main

stop_request.install_handlers()
sys.exit(main())
