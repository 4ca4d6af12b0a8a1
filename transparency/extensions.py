"""Flask extension objects, unbound. A leaf module: imports nothing of the app."""

from flask_babel import Babel

babel = Babel()
