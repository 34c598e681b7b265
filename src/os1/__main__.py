from os1.interfaces.cli import main

main()
