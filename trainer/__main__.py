import sys

from trainer.cli import interrupt_on_terminate, main

interrupt_on_terminate()
sys.exit(main())
