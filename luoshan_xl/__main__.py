from luoshan_xl.cli import main

main()
