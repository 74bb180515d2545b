"""The breakdown workbook (分解表, xlsx): writing a plan into it and reading the office's edits back."""
