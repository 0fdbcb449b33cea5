from twin.cli import app

app(prog_name="twin")
