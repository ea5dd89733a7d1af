from newscli.cli.launch import main

if __name__ == "__main__":  # worker processes re-import the main module: never run the CLI there
    main()
