"""The render thread's side: the worker (mailbox and command channel), the renderer, analysis and picture making.
Imports torch; never imgui, GLFW, OpenGL or Tk."""
