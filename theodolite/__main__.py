from theodolite.cli.main import main

main()
