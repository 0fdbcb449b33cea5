"""Maps and scenes for planners and workshops, drawn offline from the city's
own OpenStreetMap data: a basemap (:mod:`twin.viz.basemap`), 2D maps
(:mod:`twin.viz.maps`), 3D PyVista scenes (:mod:`twin.viz.scene`) and GIS
files of benefit by area (:mod:`twin.viz.gis`)."""
