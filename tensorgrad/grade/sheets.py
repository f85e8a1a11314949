"""CSV files a teacher opens in a spreadsheet: every text cell that would start a formula is escaped.

A student chooses their file's name (and Canvas puts their name in it), so a cell such as
`=HYPERLINK(...)` or `+cmd|...` would run as a formula when the gradebook is opened. Such a cell gets
a leading apostrophe, which spreadsheets show as text; numbers are written as they are.
"""
import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escaped(cell):
    """`cell` as it may go into a spreadsheet: text starting like a formula gets a leading apostrophe."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


def write_csv(path, header, rows):
    """Every CSV the grader writes goes through here, so no cell of it can start a formula."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        for row in [header, *rows]:
            writer.writerow([escaped(c) for c in row])
