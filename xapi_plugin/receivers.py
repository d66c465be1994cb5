"""Receivers of platform signals. Listed in ``apps.py``; connected by the plugin framework.

Receivers are thin and never raise into the code that sent the signal.
"""
