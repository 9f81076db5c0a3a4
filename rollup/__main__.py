from rollup.cli import app

app(prog_name="rollup")
