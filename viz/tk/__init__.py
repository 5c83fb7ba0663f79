"""The Tk front end: ttk panels on the view core, the image drawn through pyopengltk (or a Tk PhotoImage)."""
