require "vacation"; vacation text:
no end
