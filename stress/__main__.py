import signal
import sys

try:
    from stress.cli import main
except KeyboardInterrupt:      # Ctrl-C while the command line loads
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(130)

main()
