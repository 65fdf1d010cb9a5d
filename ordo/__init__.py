"""ordo"""
