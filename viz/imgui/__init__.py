"""The GLFW + imgui front end: the window, the views of the controllers, the image area and overlays."""
